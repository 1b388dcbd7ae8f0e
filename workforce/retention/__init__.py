"""Retention: churn labels, features, model selection and calibration, what-if drivers,
fairness audit, persistence and evaluation on any flat table (the CSWW census import is
`workforce.census`).

Submodules import scikit-learn; import them directly (`from workforce.retention.model import
train`) so `import workforce.retention` itself stays light.
"""
