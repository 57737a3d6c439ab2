"""Symptoms: findings read from what people say, and the evidence they give over the likely causes."""
