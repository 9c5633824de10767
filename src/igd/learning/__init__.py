"""Stage 6 (PROTOCOL §6): feature tables (:mod:`.features`), the IGD SVM (:mod:`.svm`), its
scores (:mod:`.metrics`), the rules' tasks (:mod:`.tasks`)."""
