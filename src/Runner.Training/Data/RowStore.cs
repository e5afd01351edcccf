using System.IO.MemoryMappedFiles;

namespace Runner.Training.Data;

/// <summary>
/// Fixed-size rows of bytes (one decoded image's C×H×W pixels, or one cached feature row's float32 values), read one
/// row at a time. In memory for small built-in data; memory-mapped from a file otherwise, so that the rows of a large
/// dataset cost page cache (which the kernel reclaims) rather than the process's own memory.
/// </summary>
public abstract class RowStore : IDisposable
{
    public int RowBytes { get; }
    public long Count { get; }

    protected RowStore(int rowBytes, long count) => (RowBytes, Count) = (rowBytes, count);

    /// <summary>Copies row <paramref name="row"/> into <paramref name="destination"/> (<see cref="RowBytes"/> long).</summary>
    public abstract void Copy(long row, Span<byte> destination);

    public virtual void Dispose() { }
}

/// <summary>Rows held in a managed array (Fashion-MNIST's 47 MB, tests).</summary>
public sealed class ArrayRows(byte[] data, int rowBytes) : RowStore(rowBytes, data.Length / rowBytes)
{
    public override void Copy(long row, Span<byte> destination) => data.AsSpan(checked((int)(row * RowBytes)), RowBytes).CopyTo(destination);
}

/// <summary>Rows of a file from <paramref name="start"/> on, mapped read-only (any size: offsets are 64-bit).</summary>
public sealed class MappedRows : RowStore
{
    readonly MemoryMappedFile _file;
    readonly MemoryMappedViewAccessor _view;
    readonly long _start;

    public MappedRows(string path, long start, int rowBytes, long count) : base(rowBytes, count)
    {
        _start = start;
        long length = new FileInfo(path).Length;
        if (start + rowBytes * count > length)
            throw new DataException($"{path}: {length:N0} bytes, too short for {count:N0} rows of {rowBytes:N0} bytes from byte {start:N0}");
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
    }

    public override void Copy(long row, Span<byte> destination) =>
        _view.SafeMemoryMappedViewHandle.ReadSpan((ulong)(_view.PointerOffset + _start + row * RowBytes), destination[..RowBytes]);

    public override void Dispose()
    {
        _view.Dispose();
        _file.Dispose();
    }
}
