"""Evaluation apart from the product: dialogue runs, their figures and reports, retrieval and grounding checks.

Nothing in the conversation core imports this package; `kneebot eval`, the tests and the benchmarks do.
"""
