"""Tensor shapes: TensorFlow 1.x `TensorShape` and `Dimension`."""

# Internally a TensorShape keeps its dimensions as a tuple of int/None (cheap to build
# and inspect) and creates the TF1-visible list of `Dimension` objects lazily. TF1
# `TensorShape.__eq__` compares those lists, where an unknown Dimension equals only
# itself (by identity), so whenever TF would share Dimension objects between shapes
# and some are unknown, the list is materialized and shared to keep results exact.

_UNSET = object()  # Marks a representation (tuple or Dimension list) not built yet.


def dimension_value(dimension):
    """Returns the plain value of a dimension.

    Args:
        dimension: A `Dimension`, an integer, or None.

    Returns:
        An integer or None.
    """
    if isinstance(dimension, Dimension):
        return dimension._value
    return dimension


def dimension_at_index(shape, index):
    """Returns the `Dimension` of `shape` at `index`, unknown if the rank is unknown.

    Args:
        shape: A `TensorShape`.
        index: An integer index.

    Returns:
        A `Dimension`.
    """
    assert isinstance(shape, TensorShape)
    if shape.rank is None:
        return Dimension(None)
    return shape.dims[index]


def _new_dimension(value):
    """Builds a Dimension from a value already known to be a valid int or None."""
    dim = object.__new__(Dimension)
    dim._value = value
    return dim


class Dimension(object):
    """Represents the value of one dimension in a `TensorShape`.

    Args:
        value: A non-negative integer (anything with `__index__`), a `Dimension`,
            or None for an unknown dimension.

    Raises:
        TypeError: If `value` is not an integer, a `Dimension` or None.
        ValueError: If `value` is negative.
    """

    __slots__ = ("_value",)

    def __init__(self, value):
        if value is None:
            self._value = None
        elif isinstance(value, Dimension):
            self._value = value._value
        else:
            try:
                self._value = int(value.__index__())
            except AttributeError:
                raise TypeError(
                    "Dimension value must be integer or None or have an __index__ method, "
                    "got value '{0!r}' with type '{1!r}'".format(value, type(value))
                ) from None
            if self._value < 0:
                raise ValueError("Dimension %d must be >= 0" % self._value)

    def __repr__(self):
        return "Dimension(%r)" % (self._value,)

    def __str__(self):
        value = self._value
        return "?" if value is None else str(value)

    def __eq__(self, other):
        """Returns True if `other` has the same known value, None if either is unknown."""
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other._value is None:
            return None
        return self._value == other._value

    def __ne__(self, other):
        """Returns True if `other` has a different known value, None if either is unknown."""
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other._value is None:
            return None
        return self._value != other._value

    def __hash__(self):
        return hash(self._value)

    def __int__(self):
        return self._value

    def __index__(self):
        return self._value

    @property
    def value(self):
        """The value of this dimension, or None if it is unknown."""
        return self._value

    def is_compatible_with(self, other):
        """Returns True if `other` is compatible with this Dimension.

        Two known Dimensions are compatible if they have the same value; an unknown
        Dimension is compatible with all other Dimensions.

        Args:
            other: Another Dimension, or a value accepted by `as_dimension`.

        Returns:
            True if this Dimension and `other` are compatible.
        """
        other = as_dimension(other)
        return self._value is None or other._value is None or self._value == other._value

    def assert_is_compatible_with(self, other):
        """Raises an exception if `other` is not compatible with this Dimension.

        Args:
            other: Another Dimension, or a value accepted by `as_dimension`.

        Raises:
            ValueError: If `self` and `other` are not compatible.
        """
        if not self.is_compatible_with(other):
            raise ValueError("Dimensions %s and %s are not compatible" % (self, other))

    def merge_with(self, other):
        """Returns a Dimension that combines the information in `self` and `other`.

        Args:
            other: Another Dimension, or a value accepted by `as_dimension`.

        Returns:
            A new Dimension with the known value of either, or unknown if both are.

        Raises:
            ValueError: If `self` and `other` are not compatible.
        """
        other = as_dimension(other)
        self.assert_is_compatible_with(other)
        if self._value is None:
            return Dimension(other._value)
        return Dimension(self._value)

    def __add__(self, other):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other._value is None:
            return Dimension(None)
        return Dimension(self._value + other._value)

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other._value is None:
            return Dimension(None)
        return Dimension(self._value - other._value)

    def __rsub__(self, other):
        other = as_dimension(other)
        if self._value is None or other._value is None:
            return Dimension(None)
        return Dimension(other._value - self._value)

    def __mul__(self, other):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other._value is None:
            return Dimension(None)
        return Dimension(self._value * other._value)

    def __rmul__(self, other):
        return self * other

    def __floordiv__(self, other):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other._value is None:
            return Dimension(None)
        return Dimension(self._value // other._value)

    def __rfloordiv__(self, other):
        other = as_dimension(other)
        if self._value is None or other._value is None:
            return Dimension(None)
        return Dimension(other._value // self._value)

    def __truediv__(self, other):
        raise TypeError(
            "unsupported operand type(s) for /: 'Dimension' and '{}', please use // instead".format(
                type(other).__name__
            )
        )

    def __rtruediv__(self, other):
        raise TypeError(
            "unsupported operand type(s) for /: '{}' and 'Dimension', please use // instead".format(
                type(other).__name__
            )
        )

    def __mod__(self, other):
        other = as_dimension(other)
        if self._value is None or other._value is None:
            return Dimension(None)
        return Dimension(self._value % other._value)

    def __rmod__(self, other):
        other = as_dimension(other)
        return other % self

    def __lt__(self, other):
        other = as_dimension(other)
        if self._value is None or other._value is None:
            return None
        return self._value < other._value

    def __le__(self, other):
        other = as_dimension(other)
        if self._value is None or other._value is None:
            return None
        return self._value <= other._value

    def __gt__(self, other):
        other = as_dimension(other)
        if self._value is None or other._value is None:
            return None
        return self._value > other._value

    def __ge__(self, other):
        other = as_dimension(other)
        if self._value is None or other._value is None:
            return None
        return self._value >= other._value

    def __reduce__(self):
        return Dimension, (self._value,)


def as_dimension(value):
    """Converts the given value to a Dimension.

    Args:
        value: A `Dimension` (returned unchanged), an integer, or None.

    Returns:
        A `Dimension` corresponding to the given value.
    """
    if isinstance(value, Dimension):
        return value
    return Dimension(value)


def _fast_tuple(seq):
    """Returns `tuple(seq)` if every item is a non-negative int or None, else None."""
    for d in seq:
        if d is not None and (d.__class__ is not int or d < 0):
            return None
    return tuple(seq)


class TensorShape(object):
    """Represents the (possibly partial) shape of a `Tensor`.

    A shape is fully known (`TensorShape([16, 256])`), partially known
    (`TensorShape([None, 256])`) or unknown (`TensorShape(None)`).

    Args:
        dims: None for an unknown rank, an iterable of dimensions (int, None or
            `Dimension`), another `TensorShape`, or a single dimension value.

    Raises:
        TypeError: If `dims` cannot be converted to a list of dimensions.
        ValueError: If a dimension is negative.
    """

    # _tuple: tuple of int/None, None for unknown rank, or _UNSET.
    # _dims: list of Dimension, None for unknown rank, or _UNSET.
    __slots__ = ("_dims", "_tuple")

    def __init__(self, dims):
        if dims is None:
            self._dims = None
            self._tuple = None
            return
        cls = dims.__class__
        if cls is tuple or cls is list:
            t = _fast_tuple(dims)
            if t is not None:
                self._dims = _UNSET
                self._tuple = t
                return
        if isinstance(dims, TensorShape):
            t = dims.as_tuple()
            self._tuple = t
            if t is not None and None in t:
                self._dims = dims.dims
            else:
                self._dims = dims._dims
            return
        if isinstance(dims, (str, bytes)):
            raise TypeError(
                "A string has ambiguous TensorShape, please wrap in a list or "
                "convert to an int: %s" % (dims,)
            )
        try:
            dims_iter = iter(dims)
        except TypeError:
            # TF1 treats a non-iterable value as a single dimension.
            dim = as_dimension(dims)
            self._dims = [dim]
            self._tuple = (dim._value,)
            return
        dim_list = []
        for d in dims_iter:
            try:
                dim_list.append(as_dimension(d))
            except TypeError as e:
                raise TypeError(
                    "Failed to convert '{0!r}' to a shape: '{1!r}' could not be converted "
                    "to a dimension. A shape should either be single dimension (e.g. 10), "
                    "or an iterable of dimensions (e.g. [1, 10, None]).".format(dims, d)
                ) from e
        self._dims = dim_list
        self._tuple = tuple([d._value for d in dim_list])

    @classmethod
    def _from_tuple(cls, t):
        """Builds a shape from a tuple of int/None (or None for unknown rank), unchecked."""
        self = object.__new__(cls)
        self._tuple = t
        self._dims = None if t is None else _UNSET
        return self

    @classmethod
    def _from_dims(cls, dims, t=_UNSET):
        """Builds a shape that shares the given list of `Dimension`s, unchecked."""
        self = object.__new__(cls)
        self._dims = dims
        self._tuple = t
        return self

    def as_tuple(self):
        """Returns the dimensions as a tuple of int/None, or None if the rank is unknown."""
        t = self._tuple
        if t is _UNSET:
            t = self._tuple = tuple([d._value for d in self._dims])
        return t

    def _shares_identity(self):
        """True if some dimension is unknown, so Dimension identity affects equality."""
        t = self.as_tuple()
        return t is not None and None in t

    def __repr__(self):
        t = self.as_tuple()
        if t is None:
            return "TensorShape(None)"
        return "TensorShape([%s])" % ", ".join(["Dimension(%r)" % (v,) for v in t])

    def __str__(self):
        t = self.as_tuple()
        if t is None:
            return "<unknown>"
        if len(t) == 1:
            return "(%s,)" % ("?" if t[0] is None else t[0])
        return "(%s)" % ", ".join(["?" if v is None else str(v) for v in t])

    @property
    def rank(self):
        """Returns the rank of this shape, or None if it is unspecified."""
        t = self.as_tuple()
        return None if t is None else len(t)

    @property
    def ndims(self):
        """Returns the rank of this shape, or None if it is unspecified."""
        return self.rank

    @property
    def dims(self):
        """Returns a list of `Dimension`s, or None if the shape is unspecified."""
        dims = self._dims
        if dims is _UNSET:
            dims = self._dims = [_new_dimension(v) for v in self._tuple]
        return dims

    def __len__(self):
        """Returns the rank of this shape, or raises ValueError if unspecified."""
        t = self.as_tuple()
        if t is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(t)

    def __bool__(self):
        """Returns True if this shape contains non-zero information (a known rank)."""
        return self.as_tuple() is not None

    def __iter__(self):
        """Iterates over the `Dimension`s; raises ValueError if the rank is unknown."""
        dims = self.dims
        if dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(dims)

    def __getitem__(self, key):
        """Returns a `Dimension` for an integer key, a `TensorShape` for a slice.

        Args:
            key: An integer index or a slice.

        Returns:
            A `Dimension` or a `TensorShape`; on an unknown shape an unknown
            Dimension or an unknown shape (of known rank when the slice allows).

        Raises:
            ValueError: If `self` has unknown rank and the slice has a step.
        """
        t = self.as_tuple()
        if t is not None:
            if isinstance(key, slice):
                sub = t[key]
                if None in sub:
                    return TensorShape._from_dims(self.dims[key], sub)
                return TensorShape._from_tuple(sub)
            return self.dims[key]
        if isinstance(key, slice):
            start = key.start if key.start is not None else 0
            stop = key.stop
            if key.step is not None:
                raise ValueError("Steps are not yet handled")
            if stop is None:
                return unknown_shape()
            if start < 0 or stop < 0:
                return unknown_shape()
            return unknown_shape(rank=stop - start)
        return Dimension(None)

    def num_elements(self):
        """Returns the total number of elements, or None for incomplete shapes."""
        t = self.as_tuple()
        if t is None or None in t:
            return None
        size = 1
        for v in t:
            size *= v
        return size

    def merge_with(self, other):
        """Returns a `TensorShape` combining the information in `self` and `other`.

        Dimensions are merged elementwise as by `Dimension.merge_with`.

        Args:
            other: Another `TensorShape` (or a value accepted by `as_shape`).

        Returns:
            A `TensorShape` containing the combined information of both shapes.

        Raises:
            ValueError: If `self` and `other` are not compatible.
        """
        other = as_shape(other)
        t = self.as_tuple()
        if t is None:
            return other
        ot = other.as_tuple()
        if ot is None:
            return TensorShape._from_tuple(t)
        if len(t) != len(ot):
            raise ValueError("Shapes %s and %s are not compatible" % (self, other))
        merged = []
        for a, b in zip(t, ot, strict=True):
            if a is None:
                merged.append(b)
            elif b is None or a == b:
                merged.append(a)
            else:
                raise ValueError("Shapes %s and %s are not compatible" % (self, other))
        return TensorShape._from_tuple(tuple(merged))

    def __add__(self, other):
        if not isinstance(other, TensorShape):
            other = TensorShape(other)
        return self.concatenate(other)

    def __radd__(self, other):
        if not isinstance(other, TensorShape):
            other = TensorShape(other)
        return other.concatenate(self)

    def __concat__(self, other):
        return self.concatenate(other)

    def concatenate(self, other):
        """Returns the concatenation of the dimensions in `self` and `other`.

        If either shape is completely unknown the result is completely unknown.

        Args:
            other: Another `TensorShape` (or a value accepted by `as_shape`).

        Returns:
            A `TensorShape` with the dimensions of `self` followed by `other`.
        """
        other = as_shape(other)
        t = self.as_tuple()
        ot = other.as_tuple()
        if t is None or ot is None:
            return unknown_shape()
        if None in t or None in ot:
            return TensorShape._from_dims(self.dims + other.dims, t + ot)
        return TensorShape._from_tuple(t + ot)

    def assert_same_rank(self, other):
        """Raises an exception if `self` and `other` do not have compatible ranks.

        Args:
            other: Another `TensorShape`.

        Raises:
            ValueError: If both ranks are known and differ.
        """
        other = as_shape(other)
        if self.rank is not None and other.rank is not None and self.rank != other.rank:
            raise ValueError("Shapes %s and %s must have the same rank" % (self, other))

    def assert_has_rank(self, rank):
        """Raises an exception if `self` is not compatible with the given `rank`.

        Args:
            rank: An integer.

        Raises:
            ValueError: If `self` does not represent a shape with the given `rank`.
        """
        if self.rank not in (None, rank):
            raise ValueError("Shape %s must have rank %d" % (self, rank))

    def with_rank(self, rank):
        """Returns a shape based on `self` with the given rank.

        Args:
            rank: An integer.

        Returns:
            A shape at least as specific as `self` with the given rank.

        Raises:
            ValueError: If `self` does not represent a shape with the given `rank`.
        """
        t = self.as_tuple()
        if t is None:
            return unknown_shape(rank=rank)
        if rank is not None and len(t) != rank:
            raise ValueError("Shape %s must have rank %d" % (self, rank))
        return TensorShape._from_tuple(t)

    def with_rank_at_least(self, rank):
        """Returns `self` if its rank is unknown or at least `rank`.

        Args:
            rank: An integer.

        Returns:
            `self`.

        Raises:
            ValueError: If `self` has a known rank below `rank`.
        """
        if self.rank is not None and self.rank < rank:
            raise ValueError("Shape %s must have rank at least %d" % (self, rank))
        return self

    def with_rank_at_most(self, rank):
        """Returns `self` if its rank is unknown or at most `rank`.

        Args:
            rank: An integer.

        Returns:
            `self`.

        Raises:
            ValueError: If `self` has a known rank above `rank`.
        """
        if self.rank is not None and self.rank > rank:
            raise ValueError("Shape %s must have rank at most %d" % (self, rank))
        return self

    def is_compatible_with(self, other):
        """Returns True iff some fully-defined shape is represented by both shapes.

        Args:
            other: Another `TensorShape`, or a list, tuple or None.

        Returns:
            True iff `self` is compatible with `other`.
        """
        t = self.as_tuple()
        ot = as_shape(other).as_tuple()
        if t is None or ot is None:
            return True
        if len(t) != len(ot):
            return False
        for a, b in zip(t, ot, strict=True):
            if a is not None and b is not None and a != b:
                return False
        return True

    def assert_is_compatible_with(self, other):
        """Raises an exception if `self` and `other` are not compatible.

        Args:
            other: Another `TensorShape`, or a list, tuple or None.

        Raises:
            ValueError: If `self` and `other` do not represent the same shape.
        """
        if not self.is_compatible_with(other):
            raise ValueError("Shapes %s and %s are incompatible" % (self, other))

    def most_specific_compatible_shape(self, other):
        """Returns the most specific `TensorShape` compatible with `self` and `other`.

        Args:
            other: Another `TensorShape`.

        Returns:
            A shape keeping the dimensions on which both agree, unknown elsewhere;
            completely unknown if either rank is unknown or the ranks differ.
        """
        other = as_shape(other)
        t = self.as_tuple()
        ot = other.as_tuple()
        if t is None or ot is None or len(t) != len(ot):
            return unknown_shape()
        result = tuple(
            [a if a is not None and a == b else None for a, b in zip(t, ot, strict=True)]
        )
        if None not in result:
            return TensorShape._from_tuple(result)
        # As in TF, every unknown position holds the same Dimension object.
        unknown = Dimension(None)
        self_dims = self.dims
        dims = [unknown if v is None else self_dims[i] for i, v in enumerate(result)]
        return TensorShape._from_dims(dims, result)

    def is_fully_defined(self):
        """Returns True iff `self` is fully defined in every dimension."""
        t = self.as_tuple()
        return t is not None and None not in t

    def assert_is_fully_defined(self):
        """Raises an exception if `self` is not fully defined in every dimension.

        Raises:
            ValueError: If `self` does not have a known value for every dimension.
        """
        if not self.is_fully_defined():
            raise ValueError("Shape %s is not fully defined" % self)

    def as_list(self):
        """Returns a list of integers or None for each dimension.

        Raises:
            ValueError: If `self` has an unknown rank.
        """
        t = self.as_tuple()
        if t is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(t)

    def __eq__(self, other):
        """Returns True if `self` is equivalent to `other` (TF1 rules).

        Unknown dimensions are only equal to themselves (the same `Dimension`
        object), and two shapes of unknown rank are equal.
        """
        try:
            other = as_shape(other)
        except TypeError:
            return NotImplemented
        if self._shares_identity() or other._shares_identity():
            return self.dims == other.dims
        return self.as_tuple() == other.as_tuple()

    def __ne__(self, other):
        """Returns True if `self` is known to be different from `other`.

        Raises:
            ValueError: If either shape has an unknown rank.
        """
        try:
            other = as_shape(other)
        except TypeError:
            return NotImplemented
        if self.rank is None or other.rank is None:
            raise ValueError("The inequality of unknown TensorShapes is undefined.")
        if self.rank != other.rank:
            return True
        if self._shares_identity() or other._shares_identity():
            return self.dims != other.dims
        return self.as_tuple() != other.as_tuple()

    # Defining __eq__ makes TensorShape unhashable, as in TF.
    __hash__ = None

    def __reduce__(self):
        if self._shares_identity():
            return TensorShape, (self.dims,)
        t = self.as_tuple()
        return TensorShape, (None if t is None else list(t),)


def as_shape(shape):
    """Converts the given object to a `TensorShape`.

    Args:
        shape: A `TensorShape` (returned unchanged) or a value accepted by
            `TensorShape`.

    Returns:
        A `TensorShape`.
    """
    if isinstance(shape, TensorShape):
        return shape
    return TensorShape(shape)


def unknown_shape(rank=None, **kwargs):
    """Returns an unknown `TensorShape`, optionally with a known rank.

    Args:
        rank: (Optional) If specified, the number of dimensions in the shape.
        **kwargs: `ndims` is accepted as a deprecated alias of `rank`.

    Returns:
        An unknown `TensorShape`.

    Raises:
        TypeError: In case of invalid arguments.
    """
    if rank is None and "ndims" in kwargs:
        rank = kwargs.pop("ndims")
    if kwargs:
        raise TypeError("Unknown argument: %s" % kwargs)
    if rank is None:
        return TensorShape(None)
    # As in TF, every position holds the same unknown Dimension object.
    return TensorShape._from_dims([Dimension(None)] * rank, (None,) * rank)


def scalar():
    """Returns a shape representing a scalar."""
    return TensorShape._from_tuple(())


def vector(length):
    """Returns a shape representing a vector.

    Args:
        length: The length of the vector, which may be None if unknown.

    Returns:
        A `TensorShape` representing a vector of the given length.
    """
    return TensorShape([length])


def matrix(rows, cols):
    """Returns a shape representing a matrix.

    Args:
        rows: The number of rows in the matrix, which may be None if unknown.
        cols: The number of columns in the matrix, which may be None if unknown.

    Returns:
        A `TensorShape` representing a matrix of the given size.
    """
    return TensorShape([rows, cols])
