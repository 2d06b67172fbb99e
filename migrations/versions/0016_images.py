"""images: several images per product (product_images), and the catalog's other sorts

Each product's old single ``products.image`` becomes its first image (position 0, alt text
the product's name). Its size is not known here: ``flask shop resize-images`` makes the
resized copies and records it (until then the page shows the original). Two products that
shared one file keep sharing it; each row gets a stem of its own for its resized copies.

Indexes for sorting a store's (or a category's) active products by price either way and
by newest (id) without reading the whole category: the name sort has had its own since
0012_storefront.

Revision ID: 0016_images
Revises: 0015_catalog_dates
Create Date: 2026-12-07 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_images'
down_revision = '0016_regions'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_products_store_category_price_id', ['store_id', 'category_id', 'price', 'id']),
    ('ix_products_store_price_id', ['store_id', 'price', 'id']),
    ('ix_products_store_category_id', ['store_id', 'category_id', 'id']),
    ('ix_products_store_id', ['store_id', 'id']),
)


def upgrade():
    images = op.create_table(
        'product_images',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('stem', sa.String(length=64), nullable=False),
        sa.Column('original', sa.String(length=200), nullable=False),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('alt', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('product_id', 'position', name='uq_product_images_position'),
        sa.UniqueConstraint('stem', name='uq_product_images_stem'),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        'SELECT id, name, image FROM products WHERE image IS NOT NULL ORDER BY id')).all()
    stems = set()
    moved = []
    for product_id, name, image in rows:
        base = image.rsplit('/', 1)[-1].split('.', 1)[0][:40] or 'image'
        stem = base if base not in stems else f'{base}-{product_id}'
        stems.add(stem)
        moved.append({'product_id': product_id, 'position': 0, 'stem': stem,
                      'original': image, 'alt': name[:300]})
    if moved:
        op.bulk_insert(images, moved)
    # No batch (a copy of the table) on SQLite: rebuilding products while order lines, carts
    # and now images refer to it fails their foreign keys. SQLite (3.35+) drops a column
    # that no index or constraint names in place, and adds indexes in place.
    op.drop_column('products', 'image')
    for name, columns in INDEXES:
        op.create_index(name, 'products', columns, unique=False, postgresql_include=['active'])


def downgrade():
    for name, _columns in INDEXES:
        op.drop_index(name, table_name='products')
    op.add_column('products', sa.Column('image', sa.String(length=200), nullable=True))
    conn = op.get_bind()
    firsts = conn.execute(sa.text(
        'SELECT product_id, original FROM product_images WHERE position = 0')).all()
    for product_id, original in firsts:
        conn.execute(sa.text('UPDATE products SET image = :image WHERE id = :id'),
                     {'image': original, 'id': product_id})
    op.drop_table('product_images')
