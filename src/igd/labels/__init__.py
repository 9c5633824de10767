"""Stage 2 (PROTOCOL §2): AQS shear (aqs), D²min (d2min), plasticity labels (labels), Fig. 3
(figures); rule tasks in tasks."""
