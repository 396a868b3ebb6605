"""The emulator's one exception: a Binance error response (status, code, msg)."""

from __future__ import annotations

from typing import Any


class EmulatorError(Exception):
    def __init__(self, status: int, code: int, msg: str, data: Any = None) -> None:
        super().__init__(msg)
        self.status = status
        self.code = code
        self.msg = msg
        self.data = data

    @classmethod
    def mandatory(cls, name: str) -> EmulatorError:
        return cls(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")

    @classmethod
    def not_required(cls, name: str) -> EmulatorError:
        return cls(400, -1106, f"Parameter '{name}' sent when not required.")

    @classmethod
    def one_of(cls, first: str, second: str) -> EmulatorError:
        return cls(400, -1102, f"Param '{first}' or '{second}' must be sent, but both were empty/null!")

    @classmethod
    def illegal(cls, name: str) -> EmulatorError:
        return cls(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9A-Za-z._-]+$'.")

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.data is not None:
            error["data"] = self.data
        return error
