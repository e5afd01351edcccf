using static TorchSharp.torch;

namespace Runner.Training.Data;

/// <summary>
/// Rows a split is made of, each of one <paramref name="Shape"/>, with a class label each: decoded images (bytes,
/// made into normalized floats per batch by <see cref="Inputs"/>) when <paramref name="Normalize"/> is given, else
/// float32 rows used as they are (cached frozen-prefix features).
/// </summary>
public sealed record RowSet(RowStore Store, int[] Labels, long[] Shape, Normalization? Normalize)
{
    public ScalarType StoredType => Normalize == null ? ScalarType.Float32 : ScalarType.Byte;

    /// <summary>Bytes one row takes as the model's float32 input (what holding the rows on the device costs).</summary>
    public long InputBytesPerRow => Shape.Aggregate(4L, (a, b) => a * b);

    /// <summary>
    /// The given rows gathered into one new CPU tensor [n, ..Shape] of <see cref="StoredType"/>, copied straight into
    /// its storage: no managed buffer per batch, so the garbage collector's heap does not grow with the data read.
    /// </summary>
    public Tensor Gather(ReadOnlySpan<int> rows)
    {
        var gathered = empty(Shape.Prepend(rows.Length).ToArray(), StoredType);
        var storage = gathered.bytes;
        int size = Store.RowBytes;
        for (int i = 0; i < rows.Length; i++) Store.Copy(rows[i], storage.Slice(i * size, size));
        return gathered;
    }

    /// <summary>
    /// The model's input from gathered rows (already on their device): pixels scaled to 0..1 and normalized per
    /// channel, as torchvision's ToTensor + Normalize; feature rows unchanged. The one rule for both ways a split
    /// holds its rows, so they give the same numbers.
    /// </summary>
    public Tensor Inputs(Tensor gathered)
    {
        if (Normalize == null) return gathered.alias();
        var images = gathered.to_type(ScalarType.Float32).div_(255f);
        for (int c = 0; c < Shape[0]; c++)
            images.narrow(1, c, 1).sub_(Normalize.Mean[c]).div_(Normalize.Std[c]);
        return images;
    }
}
