"""Client side: the download cache and (with the serving issue) the HTTP SDK."""
