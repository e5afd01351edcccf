using static TorchSharp.torch;

namespace Runner.Training.Data;

/// <summary>
/// Rows a split is made of, each of one <paramref name="Shape"/>, with a class label each: decoded images (bytes,
/// made into normalized floats per batch by <see cref="Inputs"/>) when <paramref name="Normalize"/> is given, else
/// float32 rows used as they are (cached frozen-prefix features). Images stored larger than the model's input
/// (<c>transforms.resize</c>) are center-cropped to <paramref name="Crop"/> pixels (0: as stored).
/// </summary>
public sealed record RowSet(RowStore Store, int[] Labels, long[] Shape, Normalization? Normalize, int Crop = 0)
{
    public ScalarType StoredType => Normalize == null ? ScalarType.Float32 : ScalarType.Byte;

    /// <summary>The shape of one row as the model's input: the stored shape, or its center crop.</summary>
    public long[] InputShape => Crop > 0 ? new[] { Shape[0], Crop, Crop } : Shape;

    /// <summary>Bytes one row takes as the model's float32 input (what holding the rows on the device costs).</summary>
    public long InputBytesPerRow => InputShape.Aggregate(4L, (a, b) => a * b);

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
        if (Crop <= 0) return images;
        using (images) return CenterCrop(images, Crop).contiguous();
    }

    /// <summary>torchvision's CenterCrop of a batch [n, C, H, W]: the offsets rounded as Python's round() does (to even).</summary>
    public static Tensor CenterCrop(Tensor batch, int side) =>
        batch.narrow(2, CenterOffset(batch.shape[2], side), side).narrow(3, CenterOffset(batch.shape[3], side), side);

    /// <summary>Where a centered crop of <paramref name="side"/> starts along a side of <paramref name="length"/> (Python's round, to even).</summary>
    public static int CenterOffset(long length, int side) => (int)Math.Round((length - side) / 2.0, MidpointRounding.ToEven);
}
