namespace Runner.Training.Data;

/// <summary>Grayscale images as raw bytes (row-major, one image after another) with one label per image.</summary>
public sealed record ImageSet(byte[] Pixels, byte[] Labels, int Rows, int Columns)
{
    public int Count => Labels.Length;
    public int PixelsPerImage => Rows * Columns;

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
