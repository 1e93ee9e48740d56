"""One message from its decoded form to its answer: the pre-read off the writer thread (prereading) and the
group-commit pipeline that stores, de-duplicates and dispatches it (group_commit)."""
