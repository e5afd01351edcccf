using static TorchSharp.torch;

namespace Runner.Training.Data;

/// <summary>
/// A split held whole on the device as one float tensor [N, ...] with its labels: batches are index_select views of
/// it, so a small split (Fashion-MNIST, cached features) pays its conversion once, not once per batch.
/// </summary>
public sealed class TensorSplit : ISplit
{
    public Tensor Images { get; }
    public Tensor Labels { get; }
    public int Count { get; }
    public Device Device => Images.device;
    public long InputBytesPerRow => Images.shape.Skip(1).Aggregate(4L, (a, b) => a * b);

    TensorSplit(Tensor images, Tensor labels, int count) => (Images, Labels, Count) = (images, labels, count);

    /// <summary>Rows of already computed inputs with their labels; takes ownership.</summary>
    public static TensorSplit FromRows(Tensor inputs, Tensor labels) => new(inputs, labels, (int)labels.shape[0]);

    /// <summary>The images of <paramref name="set"/> at <paramref name="indices"/>, labels remapped to positions in <paramref name="classes"/>.</summary>
    public static TensorSplit From(ImageSet set, int[] indices, int[] classes, Device device) =>
        From(set.AsRows(), indices, Splits.TaskLabels(set.Labels, indices, classes), device);

    public static TensorSplit From(RowSet rows, int[] indices, long[] labels, Device device)
    {
        using var scope = NewDisposeScope();
        var images = rows.Inputs(rows.Gather(indices)).to(device);
        return new TensorSplit(images.MoveToOuterDisposeScope(), tensor(labels).to(device).MoveToOuterDisposeScope(), indices.Length);
    }

    public IEnumerable<Batch> Batches(int[]? order, int batchSize)
    {
        if (order == null)
        {
            for (int start = 0; start < Count; start += batchSize)
            {
                int n = Math.Min(batchSize, Count - start);
                yield return new Batch(Images.narrow(0, start, n), Labels.narrow(0, start, n));
            }
            yield break;
        }
        using var positions = tensor(order.Select(i => (long)i).ToArray()).to(Device);
        for (int start = 0; start < order.Length; start += batchSize)
        {
            using var idx = positions.narrow(0, start, Math.Min(batchSize, order.Length - start));
            yield return new Batch(Images.index_select(0, idx), Labels.index_select(0, idx));
        }
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
