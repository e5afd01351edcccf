namespace Runner.Training.Data;

/// <summary>
/// Images as rows of raw bytes (channel-major within an image, C×H×W) with one label per image (a class index, any
/// number of classes), and the normalization the model sees them with (Fashion-MNIST's when none is given).
/// </summary>
public sealed record ImageSet(RowStore Pixels, int[] Labels, int Rows, int Columns, int Channels = 1, Normalization? Normalize = null)
{
    public int Count => Labels.Length;

    /// <summary>The side of the model's input when it is a center crop of the stored images (<c>transforms</c>); 0: as stored.</summary>
    public int Crop { get; init; }

    public int InputRows => Crop > 0 ? Crop : Rows;
    public int InputColumns => Crop > 0 ? Crop : Columns;
    public int PixelsPerImage => Channels * Rows * Columns;
    public Normalization Norm => Normalize ?? Normalization.FashionMnist;

    /// <summary>The indices of the images of one class, in file order (a class with none: empty).</summary>
    public IReadOnlyList<int> IndicesOf(int label) => label >= 0 && label < ByClass.Length ? ByClass[label] : Array.Empty<int>();

    // Built once: every trial asks for its classes' images, and scanning 70,000 labels per class of 1,000 adds up.
    int[][]? _byClass;
    int[][] ByClass => _byClass ??= Index(Labels);

    static int[][] Index(int[] labels)
    {
        // Negative labels are rows of no class (files skipped as unreadable): no index holds them.
        int classes = labels.Length == 0 ? 0 : Math.Max(0, labels.Max() + 1);
        var counts = new int[classes];
        foreach (int l in labels) if (l >= 0) counts[l]++;
        var index = counts.Select(n => new int[n]).ToArray();
        Array.Clear(counts);
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= 0) index[labels[i]][counts[labels[i]]++] = i;
        return index;
    }

    /// <summary>Examples in the smallest of these classes.</summary>
    public int MinPerClass(IEnumerable<int> classes) => classes.Min(c => IndicesOf(c).Count);

    /// <summary>
    /// The images as rows of a split: bytes normalized into floats when batched, center-cropped to the model's input
    /// (<see cref="Crop"/>); <paramref name="whole"/> keeps the stored size, for a training transform that crops itself.
    /// </summary>
    public RowSet AsRows(bool whole = false) => new(Pixels, Labels, new long[] { Channels, Rows, Columns }, Norm, whole ? 0 : Crop);
}
