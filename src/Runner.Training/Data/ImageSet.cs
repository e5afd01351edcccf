namespace Runner.Training.Data;

/// <summary>
/// Images as raw bytes (channel-major within an image, C×H×W, one image after another) with one label per image, and
/// the normalization the model sees them with (Fashion-MNIST's when none is given).
/// </summary>
public sealed record ImageSet(byte[] Pixels, byte[] Labels, int Rows, int Columns, int Channels = 1, Normalization? Normalize = null)
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

    /// <summary>Examples in the smallest class (what a balanced draw can use per class).</summary>
    public int MinPerClass(IEnumerable<int> classes) => classes.Min(c => IndicesOf(c).Count);
}
