"""Messages beyond the inbox: e-mail, SMS and 企业微信, through one outbox (see docs/messaging.md)."""
