namespace Runner.Training.Data;

/// <summary>
/// Images as rows of raw bytes (channel-major within an image, C×H×W) with one label per image (a class index, any
/// number of classes), and the normalization the model sees them with (Fashion-MNIST's when none is given).
/// </summary>
public sealed record ImageSet(RowStore Pixels, int[] Labels, int Rows, int Columns, int Channels = 1, Normalization? Normalize = null)
{
    public int Count => Labels.Length;
    public int PixelsPerImage => Channels * Rows * Columns;
    public Normalization Norm => Normalize ?? Normalization.FashionMnist;

    /// <summary>The indices of the images of one class, in file order.</summary>
    public List<int> IndicesOf(int label)
    {
        var list = new List<int>();
        for (int i = 0; i < Labels.Length; i++)
            if (Labels[i] == label) list.Add(i);
        return list;
    }

    /// <summary>Examples in the smallest of these classes.</summary>
    public int MinPerClass(IEnumerable<int> classes) => classes.Min(c => IndicesOf(c).Count);

    /// <summary>The images as rows of a split: bytes normalized into floats when batched.</summary>
    public RowSet AsRows() => new(Pixels, Labels, new long[] { Channels, Rows, Columns }, Norm);
}
