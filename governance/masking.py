"""How a phone number shows wherever it is shown (pages, the admin, the outbox, the console):
the first three and the last four digits of a mobile number, and never the whole of another."""


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    if len(phone) != 11:
        return phone[:2] + "*" * max(len(phone) - 4, 0) + phone[-2:]
    return phone[:3] + "****" + phone[-4:]
