"""Operating the installation: backup, restore and key rotation, each recorded in the audit log."""
