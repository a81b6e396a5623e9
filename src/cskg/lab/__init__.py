"""Tools that measure cskg: the benchmark, synthetic corpora, a throwaway Virtuoso."""
