# The integrated glassy defect (IGD) of Cu50Zr50 metallic glass, end to end.
# Stages, in pipeline order, one file each under workflow/rules/.
# Run:  snakemake --cores 2            (tiny default, config/config.yaml)
#       snakemake --profile slurm --configfile config/paper.yaml   (cluster, paper scale)

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/glass.smk"
include: "workflow/rules/labels.smk"
include: "workflow/rules/vmsd.smk"
include: "workflow/rules/structure.smk"
include: "workflow/rules/artn.smk"
include: "workflow/rules/hessian.smk"
include: "workflow/rules/dynamics.smk"
include: "workflow/rules/learning.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/descriptors.smk"


rule all:
    input:
        all_outputs(),
    default_target: True


# Log hygiene: count the warnings of every rule log and summarise them at the end of the
# run (also written to results/logs/warnings.txt).
onsuccess:
    from igd.common.logs import summarise

    print(summarise("results/logs"), end="")


onerror:
    from igd.common.logs import summarise

    print(summarise("results/logs"), end="")
