# Stage 5 (PROTOCOL §5): per-atom structural features G and S2 of each inherent structure.


rule structure:
    input:
        data="results/{sample}/glass/inherent.data",
    output:
        structure="results/{sample}/structure.parquet",
    params:
        structure=config["structure"],
    log:
        "results/logs/{sample}/structure.log",
    benchmark:
        "results/benchmarks/{sample}/structure.tsv"
    resources:
        **rule_resources("structure"),
    conda:
        ENV
    script:
        "../scripts/structure.py"
