"""Bump when extraction rules change, so stored candidates can be traced to the rules that made them."""

EXTRACTOR_VERSION = "1.1.0"
