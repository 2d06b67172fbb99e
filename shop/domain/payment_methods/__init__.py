"""The rules of the ways to pay beside the card (issue 20): which methods fit an order, a
store's choice of them, a redirect provider's truth, bank-transfer references and balances."""
