"""Money after capture: refunds (``refunds``: never more than is left), the staff limit and
window (``policy``), refunds by order lines (``lines``), what a succeeded refund changes
(``effects``), Stripe's word on a refund (``updates``), disputes (``disputes``) and the
automatic refund of orders paid after their stock sold out (``out_of_stock``)."""
