"""(being written)"""


class RetryLater(Exception):
    pass


def create_for_household(household_id: int) -> None:
    raise NotImplementedError


def create_missing() -> int:
    raise NotImplementedError
