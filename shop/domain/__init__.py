"""Pure rules: no Flask, no database session."""
