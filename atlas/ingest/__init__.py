"""Ingest: from the user's table and images to checked Records.

Readers for CSV, JSON lines and The Met's export (readers) and for IIIF Presentation manifests (iiif,
iiif_documents, iiif_values), the polite cached fetcher of remote images and documents (fetch,
iiif_image, remote_images), free-text dates (dates), the bundled sample
(sample), image opening and conversion (images), label rules for culture and medium (labels) and the
cached thumbnails (thumbnails) and larger views (larger_images). May import atlas.core only.
"""
