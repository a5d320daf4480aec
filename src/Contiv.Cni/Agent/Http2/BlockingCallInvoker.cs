using System.Buffers;
using System.Net;
using Grpc.Core;

namespace Contiv.Cni.Agent.Http2;

/// <summary>
/// A <see cref="CallInvoker"/> for the generated gRPC clients that makes each blocking unary call on its own
/// HTTP/2 connection (<see cref="Http2UnaryCall"/>) on the calling thread. contiv-cni makes one or two calls per
/// process, so it needs neither asynchronous nor streaming calls. Call options used: deadline and request metadata
/// (the cancellation token is not: a CNI invocation is bounded by its deadline).
/// </summary>
public sealed class BlockingCallInvoker(EndPoint endpoint, string authority, int maxReplySize) : CallInvoker
{
    /// <inheritdoc/>
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        ArgumentNullException.ThrowIfNull(method);
        var deadline = options.Deadline is { } d && d != DateTime.MaxValue ? d.ToUniversalTime() : DateTime.MaxValue;
        var serialization = new Serialization();
        method.RequestMarshaller.ContextualSerializer(request, serialization);
        var reply = Http2UnaryCall.Invoke(endpoint, host ?? authority, method.FullName, serialization.Payload, deadline, maxReplySize, options.Headers);
        return method.ResponseMarshaller.ContextualDeserializer(new Deserialization(reply));
    }

    /// <inheritdoc/>
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw NotSupported(method);

    /// <inheritdoc/>
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw NotSupported(method);

    /// <inheritdoc/>
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw NotSupported(method);

    /// <inheritdoc/>
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw NotSupported(method);

    /// <summary>Collects the serialized request (generated marshallers write to the buffer writer or hand over an array).</summary>
    private sealed class Serialization : SerializationContext
    {
        private ArrayBufferWriter<byte>? _writer;
        private byte[]? _payload;

        public ReadOnlySpan<byte> Payload => _payload ?? (_writer is null ? [] : _writer.WrittenSpan);

        public override void Complete(byte[] payload) => _payload = payload;

        public override IBufferWriter<byte> GetBufferWriter() => _writer ??= new ArrayBufferWriter<byte>();

        public override void SetPayloadLength(int payloadLength) => _writer ??= new ArrayBufferWriter<byte>(Math.Max(1, payloadLength));

        public override void Complete()
        {
        }
    }

    /// <summary>Hands the reply's bytes to the generated deserializer.</summary>
    private sealed class Deserialization(byte[] payload) : DeserializationContext
    {
        public override int PayloadLength => payload.Length;

        public override byte[] PayloadAsNewBuffer() => (byte[])payload.Clone();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(payload);
    }

    private static NotSupportedException NotSupported(IMethod method) =>
        new($"{method.FullName}: contiv-cni makes blocking unary calls only");
}
