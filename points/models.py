"""The points bank (积分银行): passbook accounts, the append-only ledger, rules, the shop, 红黑榜."""
