"""Guidance: the corpus, its embedding, the FAISS index and retrieval of cited passages."""
