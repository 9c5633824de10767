"""Stage 9 (PROTOCOL §9): analyses of per-atom fields (:mod:`.correlation`, :mod:`.igd_field`,
:mod:`.transferability`), figures (:mod:`.figures`, :mod:`.model_figures`), OVITO snapshots
(:mod:`.render`, :mod:`.snapshots`) and dumps (:mod:`.atoms_dump`), the rules' tasks
(:mod:`.tasks`)."""
