"""The source readers' implementation; the public surface is :mod:`shuzhi.ingest.readers`."""
