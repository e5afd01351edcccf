using static TorchSharp.torch;

namespace Runner.Training.Data;

/// <summary>
/// The rows a training loop trains on or is measured on, handed out in batches on the training device. Positions are
/// 0..Count-1; labels are the task's class indices (0..classes-1).
/// </summary>
public interface ISplit : IDisposable
{
    int Count { get; }
    Device Device { get; }

    /// <summary>Bytes of one row as the model's float32 input.</summary>
    long InputBytesPerRow { get; }

    /// <summary>The rows at these positions (all, in order, when null), <paramref name="batchSize"/> at a time. The caller disposes each batch.</summary>
    IEnumerable<Batch> Batches(int[]? order, int batchSize);
}

/// <summary>One batch: inputs [n, ...] and labels [n] on the device.</summary>
public readonly record struct Batch(Tensor Inputs, Tensor Labels) : IDisposable
{
    public int Count => (int)Labels.shape[0];

    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}
