"""The PDF report: collects verify, proofs, rates and figures results and typesets them.

May import every library layer below it; nothing imports it but the CLI.
"""
