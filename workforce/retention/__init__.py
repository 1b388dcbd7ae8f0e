"""Retention: churn labels, features, model selection and calibration, what-if drivers,
fairness audit, CSWW census import, persistence and evaluation on any flat table.

Submodules import scikit-learn; import them directly (`from workforce.retention.model import
train`) so `import workforce.retention` itself stays light.
"""
