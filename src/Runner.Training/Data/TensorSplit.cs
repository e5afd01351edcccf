using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Data;

/// <summary>
/// Images of one split as one normalized float tensor [N, C, H, W] on the training device, with labels remapped to
/// 0..classes-1. Batches are index_select views of it, so no per-batch managed copies are made.
/// </summary>
public sealed class TensorSplit : IDisposable
{
    public Tensor Images { get; }
    public Tensor Labels { get; }
    public int Count { get; }

    TensorSplit(Tensor images, Tensor labels, int count) => (Images, Labels, Count) = (images, labels, count);

    /// <summary>Rows of already computed inputs (e.g. cached frozen-prefix features) with their labels; takes ownership.</summary>
    public static TensorSplit FromRows(Tensor inputs, Tensor labels) => new(inputs, labels, (int)labels.shape[0]);

    public static TensorSplit From(ImageSet set, int[] indices, int[] classes, Device device)
    {
        int per = set.PixelsPerImage;
        var pixels = new byte[indices.Length * per];
        var labels = new long[indices.Length];
        var map = new Dictionary<int, int>();
        for (int i = 0; i < classes.Length; i++) map[classes[i]] = i;
        for (int i = 0; i < indices.Length; i++)
        {
            Buffer.BlockCopy(set.Pixels, indices[i] * per, pixels, i * per, per);
            labels[i] = map[set.Labels[indices[i]]];
        }
        using var scope = NewDisposeScope();
        var images = tensor(pixels, new long[] { indices.Length, set.Channels, set.Rows, set.Columns }).to_type(ScalarType.Float32).div_(255f);
        for (int c = 0; c < set.Channels; c++)
            images.narrow(1, c, 1).sub_(set.Norm.Mean[c]).div_(set.Norm.Std[c]);
        images = images.to(device);
        var labelTensor = tensor(labels).to(device);
        return new TensorSplit(images.MoveToOuterDisposeScope(), labelTensor.MoveToOuterDisposeScope(), indices.Length);
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
