"""One module per view: ``render()`` draws it from the query parameters."""
