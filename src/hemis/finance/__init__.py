"""Finance: fee structures, tuition contracts, the ledger of charges and payments, debtors."""
