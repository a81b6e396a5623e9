"""Publishing the release: the linked-data site and SPARQL endpoint (`cskg serve`), and the
same pages as a static folder (`cskg publish`)."""
