"""Reports for people: the weekly digest. Pure rendering; the data comes from ``warehouse``."""
