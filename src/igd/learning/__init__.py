"""igd.learning.svm."""
