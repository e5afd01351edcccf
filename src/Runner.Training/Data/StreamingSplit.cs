using System.Threading.Channels;
using static TorchSharp.torch;

namespace Runner.Training.Data;

/// <summary>
/// A split read from its rows batch by batch: a background thread gathers the next batches' rows (from a
/// memory-mapped file for large data) into byte tensors, <see cref="PrefetchDepth"/> ahead of training, in pinned
/// memory when the device is CUDA; the training thread moves each to the device (without blocking on CUDA) and
/// normalizes it there. Memory is a function of the batch size and the prefetch depth, never of the split's size.
/// </summary>
public sealed class StreamingSplit(RowSet rows, int[] indices, long[] labels, Device device) : ISplit
{
    public const int PrefetchDepth = 3;

    public int Count => indices.Length;
    public Device Device => device;
    public long InputBytesPerRow => rows.InputBytesPerRow;

    public IEnumerable<Batch> Batches(int[]? order, int batchSize)
    {
        order ??= Enumerable.Range(0, Count).ToArray();
        var queue = Channel.CreateBounded<Batch>(new BoundedChannelOptions(PrefetchDepth) { SingleReader = true, SingleWriter = true });
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(() => Produce(order, batchSize, queue.Writer, stop.Token));
        try
        {
            // WaitToReadAsync rethrows what the producer failed with (an unreadable file).
            while (queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                while (queue.Reader.TryRead(out var raw))
                {
                    Batch batch;
                    using (raw) batch = OnDevice(raw);
                    yield return batch;
                }
        }
        finally
        {
            // The loop may leave early (cancellation, divergence): stop the producer and free what it had ready.
            stop.Cancel();
            try { producer.Wait(); } catch (AggregateException) { /* its failure, if any, was already rethrown above */ }
            while (queue.Reader.TryRead(out var left)) left.Dispose();
        }
    }

    void Produce(int[] order, int batchSize, ChannelWriter<Batch> writer, CancellationToken stop)
    {
        try
        {
            bool pin = device.type == TorchSharp.DeviceType.CUDA;
            var rowsOf = new int[batchSize];
            var labelsOf = new long[batchSize];
            for (int start = 0; start < order.Length && !stop.IsCancellationRequested; start += batchSize)
            {
                int n = Math.Min(batchSize, order.Length - start);
                for (int i = 0; i < n; i++) (rowsOf[i], labelsOf[i]) = (indices[order[start + i]], labels[order[start + i]]);
                var inputs = rows.Gather(rowsOf.AsSpan(0, n));
                var batch = new Batch(pin ? Pinned(inputs) : inputs, tensor(labelsOf.AsSpan(0, n).ToArray()));
                bool queued;
                try { queued = writer.WaitToWriteAsync(stop).AsTask().GetAwaiter().GetResult() && writer.TryWrite(batch); }
                catch (OperationCanceledException) { queued = false; }
                if (!queued)
                {
                    batch.Dispose();
                    break;
                }
            }
            writer.TryComplete();
        }
        catch (OperationCanceledException)
        {
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }

    /// <summary>A gathered batch moved to the device and made into the model's input (tensors of its own, whatever the device).</summary>
    Batch OnDevice(Batch raw)
    {
        using var scope = NewDisposeScope();
        Tensor Moved(Tensor t) => t.device_type == device.type && t.device_index == device.index ? t.alias() : t.to(device, non_blocking: true);
        var inputs = rows.Inputs(Moved(raw.Inputs));
        return new Batch(inputs.DetachFromDisposeScope(), Moved(raw.Labels).DetachFromDisposeScope());
    }

    static Tensor Pinned(Tensor t)
    {
        using (t) return t.pin_memory();
    }

    /// <summary>Nothing to free: the rows belong to their data set, which outlives its splits.</summary>
    public void Dispose() { }
}
