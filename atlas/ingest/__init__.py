"""Ingest: from the user's table and images to checked Records.

Readers for CSV, JSON lines and The Met's export (readers), free-text dates (dates), the bundled sample
(sample), image opening and conversion (images), label rules for culture and medium (labels) and the
cached thumbnails (thumbnails). May import atlas.core only.
"""
