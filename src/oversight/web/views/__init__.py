"""Page data: one function per page, returning the plain dict its HTML, JSON and CSV render."""
