"""variants: product_variants, and variant_id on everything that counts stock or sells it

Every existing product gets one default variant (empty name) with its price and stock, its
SKU the product's slug (unique per store as the slug is). The default variant takes the
product's id as its own, so filling ``variant_id`` on cart items, holds, order lines and
stock adjustments is ``variant_id = product_id``: no join, in id-range batches, each one
an index range scan (1 M order lines: see docs/performance.md). Order lines also get the
SKU they were sold under. ``products.price`` and ``products.stock_on_hand`` stay, kept by
the services as the lowest active variant price and the sum of the variants' stock.

Revision ID: 0017_variants
Revises: 0016_archive
Create Date: 2026-12-07 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017_variants'
down_revision = '0017_receipts'
branch_labels = None
depends_on = None

BATCH = 50_000
# table → the name of its new foreign key
FILLED = (
    ('cart_items', 'fk_cart_items_variant_id_product_variants'),
    ('inventory_holds', 'fk_inventory_holds_variant_id_product_variants'),
    ('order_lines', 'fk_order_lines_variant_id_product_variants'),
    ('stock_adjustments', 'fk_stock_adjustments_variant_id_product_variants'),
)


def upgrade():
    op.create_table(
        'product_variants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('sku', sa.String(length=120), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('price', sa.Integer(), nullable=False),
        sa.Column('stock_on_hand', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint('price >= 0', name=op.f('ck_product_variants_variant_price_not_negative')),
        sa.CheckConstraint('stock_on_hand >= 0',
                           name=op.f('ck_product_variants_variant_stock_not_negative')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_product_variants_product_id_products')),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_product_variants_store_id_stores')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_product_variants')),
        sa.UniqueConstraint('store_id', 'sku', name='uq_product_variants_store_sku'),
    )
    op.create_index('ix_product_variants_product_position', 'product_variants',
                    ['product_id', 'position', 'id'])
    conn = op.get_bind()
    conn.execute(sa.text(
        "INSERT INTO product_variants (id, store_id, product_id, sku, name, price, "
        "stock_on_hand, position, active, updated_at) "
        "SELECT id, store_id, id, slug, '', price, stock_on_hand, 0, true, updated_at "
        "FROM products"))
    if conn.dialect.name == 'postgresql':
        # The ids were given, not drawn: the next variant's comes after them.
        conn.execute(sa.text(
            "SELECT setval(pg_get_serial_sequence('product_variants', 'id'), "
            "COALESCE((SELECT max(id) FROM product_variants), 0) + 1, false)"))

    for table, _fk in FILLED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('order_lines') as batch_op:
        batch_op.add_column(sa.Column('sku', sa.String(length=120), server_default='',
                                      nullable=False))

    for table, _fk in FILLED:
        _fill(conn, table)

    for table, fk in FILLED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column('variant_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(fk, 'product_variants', ['variant_id'], ['id'])
    with op.batch_alter_table('cart_items') as batch_op:
        batch_op.drop_constraint('uq_cart_items_cart_product', type_='unique')
        batch_op.create_unique_constraint('uq_cart_items_cart_variant', ['cart_id', 'variant_id'])
    op.create_index('ix_inventory_holds_variant_status_expires', 'inventory_holds',
                    ['variant_id', 'status', 'expires_at'])


def _fill(conn, table: str) -> None:
    """variant_id = product_id (each product's default variant has its id), in id ranges."""
    top = conn.execute(sa.text(f'SELECT max(id) FROM {table}')).scalar() or 0  # noqa: S608
    sku = (", sku = (SELECT v.sku FROM product_variants v WHERE v.id = order_lines.product_id)"
           if table == 'order_lines' else '')
    fill = sa.text(f'UPDATE {table} SET variant_id = product_id{sku} '  # noqa: S608
                   'WHERE id >= :low AND id < :high')
    for low in range(0, top + 1, BATCH):
        conn.execute(fill, {'low': low, 'high': low + BATCH})


def downgrade():
    op.drop_index('ix_inventory_holds_variant_status_expires', table_name='inventory_holds')
    with op.batch_alter_table('cart_items') as batch_op:
        batch_op.drop_constraint('uq_cart_items_cart_variant', type_='unique')
        batch_op.create_unique_constraint('uq_cart_items_cart_product', ['cart_id', 'product_id'])
    with op.batch_alter_table('order_lines') as batch_op:
        batch_op.drop_column('sku')
    for table, fk in FILLED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(fk, type_='foreignkey')
            batch_op.drop_column('variant_id')
    op.drop_index('ix_product_variants_product_position', table_name='product_variants')
    op.drop_table('product_variants')
