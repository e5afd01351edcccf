using System.IO.Compression;

namespace Runner.Training.Data;

/// <summary>
/// Reads the IDX format used by MNIST and Fashion-MNIST (unsigned bytes, big-endian dimensions), gzip-compressed or
/// plain. See http://yann.lecun.com/exdb/mnist/ for the layout.
/// </summary>
public static class IdxFile
{
    public sealed record Contents(int[] Dimensions, byte[] Data);

    public static Contents Read(string path)
    {
        byte[] raw;
        try { raw = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot read ({e.Message})");
        }
        bool gzip = raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b;
        if (gzip)
        {
            try
            {
                using var input = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var output = new MemoryStream();
                input.CopyTo(output);
                // GZipStream stops quietly at a cut; the trailer's ISIZE (length mod 2^32) tells a whole file.
                uint expected = BitConverter.ToUInt32(raw, raw.Length - 4);
                if (raw.Length < 18 || expected != (uint)output.Length)
                    throw new InvalidDataException("the stream ends early");
                raw = output.ToArray();
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw new DataException($"{path}: corrupt or truncated gzip data ({e.Message})");
            }
        }
        if (raw.Length < 4 || raw[0] != 0 || raw[1] != 0)
            throw new DataException($"{path}: not an IDX file (bad magic number)");
        if (raw[2] != 0x08)
            throw new DataException($"{path}: IDX element type 0x{raw[2]:x2} is not unsigned bytes (0x08)");
        int rank = raw[3];
        int header = 4 + 4 * rank;
        if (rank == 0 || raw.Length < header) throw new DataException($"{path}: truncated IDX header");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            int o = 4 + 4 * i;
            dims[i] = (raw[o] << 24) | (raw[o + 1] << 16) | (raw[o + 2] << 8) | raw[o + 3];
            if (dims[i] <= 0) throw new DataException($"{path}: dimension {i} is {dims[i]}");
            count *= dims[i];
        }
        if (raw.Length - header != count)
            throw new DataException($"{path}: truncated or padded: the header promises {count:N0} bytes of data, the file has {raw.Length - header:N0}");
        return new Contents(dims, raw.AsSpan(header).ToArray());
    }

    /// <summary>Writes an uncompressed-then-gzipped IDX file (used to build the shipped subset and test fixtures).</summary>
    internal static void WriteGzip(string path, int[] dims, ReadOnlySpan<byte> data)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.SmallestSize);
        gz.Write(new byte[] { 0, 0, 0x08, (byte)dims.Length });
        foreach (int d in dims)
            gz.Write(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
        gz.Write(data);
    }
}

/// <summary>A problem with data files that the user can fix; its message names the file.</summary>
public sealed class DataException(string message) : Exception(message);
