"""The fiscal core (FISCAL.md): the key, the chains of every record that counts, the technical event log
(JET), the verifier, and (issue 15) closings by period and archives. Versioned apart from the software
(R28): FISCAL_VERSION is printed on every document and written in every link."""

FISCAL_VERSION = "1.1"  # 1.1: closings by period, the business date in a day's closing, archives, purge
