"""Stage 1 (PROTOCOL §1): melt-quench glasses (quench), their g(r) (rdf), Fig. 1 (figures);
rule tasks in tasks."""
