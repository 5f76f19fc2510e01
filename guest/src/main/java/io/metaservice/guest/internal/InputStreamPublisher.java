package io.metaservice.guest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.Flow;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A request body of unknown length, sent chunked, that reads an {@link InputStream} on a
 * thread of its own and sends each read as soon as the HTTP client asks for more.
 *
 * <p>The JDK's {@code BodyPublishers.ofInputStream} reads the stream on whichever thread
 * requests data. On OpenJDK 17.0.15 a stream that blocks, such as the task's log, delayed the
 * request's headers and every other request of the client, polls included.
 *
 * <p>Each subscription gets a new stream from the supplier and a daemon thread with the
 * given name, which makes every {@code onNext}, {@code onComplete} and {@code onError} call.
 */
final class InputStreamPublisher implements HttpRequest.BodyPublisher {

    private static final System.Logger LOG =
            System.getLogger(InputStreamPublisher.class.getName());

    private static final int BUFFER_BYTES = 16 * 1024;

    private final Supplier<InputStream> streams;
    private final String threadName;

    InputStreamPublisher(Supplier<InputStream> streams, String threadName) {
        this.streams = streams;
        this.threadName = threadName;
    }

    @Override
    public long contentLength() {
        return -1;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        InputStream stream;
        try {
            stream = streams.get();
        } catch (RuntimeException e) {
            subscriber.onSubscribe(new Reader(null, subscriber));
            subscriber.onError(e);
            return;
        }
        Reader reader = new Reader(stream, subscriber);
        subscriber.onSubscribe(reader);
        Thread thread = new Thread(reader::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** One subscription: the lock guards the demand and the cancelled flag. */
    private static final class Reader implements Flow.Subscription {

        private final InputStream stream;
        private final Flow.Subscriber<? super ByteBuffer> subscriber;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition demanded = lock.newCondition();

        /** Buffers the subscriber has asked for and not yet received. Guarded by lock. */
        private long demand;
        /** Set by {@link #cancel()} or an invalid request. Guarded by lock. */
        private boolean cancelled;
        /** The error of an invalid request, sent by the reader thread. Guarded by lock. */
        private IllegalArgumentException invalidRequest;

        Reader(InputStream stream, Flow.Subscriber<? super ByteBuffer> subscriber) {
            this.stream = stream;
            this.subscriber = subscriber;
        }

        @Override
        public void request(long n) {
            lock.lock();
            try {
                if (n <= 0) {
                    invalidRequest = new IllegalArgumentException("non-positive request: " + n);
                    cancelled = true;
                } else {
                    demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
                }
                demanded.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void cancel() {
            lock.lock();
            try {
                cancelled = true;
                demanded.signalAll();
            } finally {
                lock.unlock();
            }
            closeStream();
        }

        void run() {
            byte[] buffer = new byte[BUFFER_BYTES];
            try {
                while (awaitDemand()) {
                    int count = stream.read(buffer);
                    if (count < 0) {
                        subscriber.onComplete();
                        return;
                    }
                    if (count > 0 && takeDemand()) {
                        subscriber.onNext(ByteBuffer.wrap(Arrays.copyOf(buffer, count)));
                    }
                }
                IllegalArgumentException error = invalidRequest();
                if (error != null) {
                    subscriber.onError(error);
                }
            } catch (IOException e) {
                if (!isCancelled()) {
                    subscriber.onError(e);
                }
            } catch (InterruptedException e) {
                subscriber.onError(new IOException("interrupted while sending the body", e));
            } finally {
                closeStream();
            }
        }

        /** Waits until the subscriber wants data. Returns false once it is cancelled. */
        private boolean awaitDemand() throws InterruptedException {
            lock.lock();
            try {
                while (demand == 0 && !cancelled) {
                    demanded.await();
                }
                return !cancelled;
            } finally {
                lock.unlock();
            }
        }

        private boolean takeDemand() {
            lock.lock();
            try {
                if (cancelled) {
                    return false;
                }
                demand--;
                return true;
            } finally {
                lock.unlock();
            }
        }

        private boolean isCancelled() {
            lock.lock();
            try {
                return cancelled;
            } finally {
                lock.unlock();
            }
        }

        private IllegalArgumentException invalidRequest() {
            lock.lock();
            try {
                return invalidRequest;
            } finally {
                lock.unlock();
            }
        }

        private void closeStream() {
            if (stream == null) {
                return;
            }
            try {
                stream.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "Closing a request body stream failed", e);
            }
        }
    }
}
