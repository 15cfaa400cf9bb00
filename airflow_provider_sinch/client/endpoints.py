"""Typed client methods, each written once for the sync client, the async client and the hook.

A method of :class:`~airflow_provider_sinch.client.operations.SinchOperations` is a function that turns its
arguments into the operation's keyword arguments, decorated with :func:`endpoint` and the
:class:`~airflow_provider_sinch.client.operations.Operation` it runs.  Read from an object, the
:class:`Endpoint` descriptor becomes a method calling that object's ``_execute``, and it is typed by the
object's kind: where ``_execute`` returns the answer (:class:`Blocking`: ``SinchClient``, ``SinchHook``)
``get_batch`` returns a ``Batch``; where it is a coroutine (:class:`Awaiting`: ``AsyncSinchClient``) it
returns a coroutine of a ``Batch``.  Python cannot say "the client's result type of ``Batch``" otherwise
(there are no higher-kinded types), and without it every method returned ``Any``.  :class:`Pages` does the
same for the iterators over list operations (``Iterator[Batch]`` or ``AsyncIterator[Batch]``).

A new Sinch endpoint is its :class:`Operation` and one decorated method in ``client/operations.py`` (a list
endpoint adds a ``Pages`` line to each client); its types follow.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

if TYPE_CHECKING:
    from airflow_provider_sinch.client.operations import ListOperation, Operation

P = ParamSpec("P")
T = TypeVar("T")
ItemT = TypeVar("ItemT")

Arguments = dict[str, Any]
"""An operation's keyword arguments, as :meth:`Operation.prepare` takes them."""


class Blocking(Protocol):
    """An object whose ``_execute`` returns the operation's answer (the sync client, the hook)."""

    def _execute(self, operation: Operation[T], kwargs: Arguments) -> T: ...


class Awaiting(Protocol):
    """An object whose ``_execute`` is a coroutine (the async client)."""

    def _execute(self, operation: Operation[T], kwargs: Arguments) -> Coroutine[Any, Any, T]: ...


class Endpoint(Generic[P, T]):
    """One operation as a method (see the module docstring); build it with :func:`endpoint`.

    :param operation: the operation the method runs; its response type is the method's result.
    :param arguments: the method as written: its parameters are the method's, and it returns the
        operation's keyword arguments.
    """

    def __init__(self, operation: Operation[T], arguments: Callable[Concatenate[Any, P], Arguments]) -> None:
        self.operation = operation
        self.arguments = arguments
        functools.update_wrapper(self, arguments)  # name and docstring, for help() and inspect
        self.__signature__ = _answering(arguments, operation)
        self._bound_signature: inspect.Signature | None = None  # the method's, the same for every object

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Endpoint[P, T]: ...

    @overload
    def __get__(self, obj: Blocking, owner: type[Any]) -> Callable[P, T]: ...

    @overload
    def __get__(self, obj: Awaiting, owner: type[Any]) -> Callable[P, Coroutine[Any, Any, T]]: ...

    def __get__(self, obj: Any, owner: type[Any]) -> Any:
        if obj is None:
            return self
        arguments = self.arguments.__get__(obj, owner)
        operation = self.operation

        @functools.wraps(arguments)
        def method(*args: Any, **kwargs: Any) -> Any:
            return obj._execute(operation, arguments(*args, **kwargs))

        if self._bound_signature is None:  # computed once: inspect.signature costs more than a small request
            self._bound_signature = _answering(arguments, operation)
        method.__signature__ = self._bound_signature  # type: ignore[attr-defined]
        return method

    def __call__(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Called on the class (``SinchClient.get_batch(client, "id")``), as a plain method can be."""
        return self.__get__(obj, type(obj))(*args, **kwargs)


class Pages(Generic[ItemT]):
    """Every entry of a list operation, fetched page by page as the caller iterates, as a method taking the
    operation's filters: an ``Iterator`` on a blocking object, an ``AsyncIterator`` on an awaiting one (each
    client's ``_paginate`` does the paging).  ``iter_batches = Pages(LIST_BATCHES)``.

    :param operation: the list operation; its ``item`` type is what the iterator yields.
    """

    def __init__(self, operation: ListOperation[Any, ItemT]) -> None:
        self.operation = operation
        self.__name__ = f"iter_{operation.items}"
        self.__doc__ = (f"Every one of the {operation.items} matching ``filters`` "
                        f"(see ``{operation.name}``), fetched page by page as needed.")

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.__name__ = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Pages[ItemT]: ...

    @overload
    def __get__(self, obj: Blocking, owner: type[Any]) -> Callable[..., Iterator[ItemT]]: ...

    @overload
    def __get__(self, obj: Awaiting, owner: type[Any]) -> Callable[..., AsyncIterator[ItemT]]: ...

    def __get__(self, obj: Any, owner: type[Any]) -> Any:
        if obj is None:
            return self
        operation = self.operation

        def method(**filters: Any) -> Any:
            return obj._paginate(operation, filters)

        method.__name__, method.__doc__ = self.__name__, self.__doc__
        return method


def _answering(arguments: Callable[..., Any], operation: Operation[Any]) -> inspect.Signature:
    """The method's signature as ``help()`` shows it: its parameters, returning the operation's answer
    (``get_batch(batch_id: str) -> Batch``), not the arguments the function written for it returns."""
    response = operation.response
    answer = response if isinstance(response, type) or response is None else inspect.Signature.empty
    return inspect.signature(arguments).replace(return_annotation=answer)


def endpoint(
    operation: Operation[T],
) -> Callable[[Callable[Concatenate[Any, P], Arguments]], Endpoint[P, T]]:
    """Make the decorated function the method running ``operation`` (see :class:`Endpoint`)."""

    def wrap(arguments: Callable[Concatenate[Any, P], Arguments]) -> Endpoint[P, T]:
        return Endpoint(operation, arguments)

    return wrap
