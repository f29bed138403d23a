"""(being written)"""


class RetryLater(Exception):
    pass


def deliver(notification_id: int) -> None:
    raise NotImplementedError


def give_up(notification_id: int, reason: str) -> None:
    raise NotImplementedError


def sweep() -> int:
    raise NotImplementedError
