// A Go client generated with protoc from protos/ alone: it places an order, reads it back through
// the QueryService with the order's consistency token, then sends a command the service refuses
// and decodes google.rpc.ErrorInfo and google.rpc.BadRequest from the status details.
//
//	client WRITE_ADDRESS READ_ADDRESS
//
// Prints one JSON object on stdout; tests/go_client/test_go_client.py builds and runs it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	ordersv1 "orders-cqrs/gen/go/orders/v1"
)

type violation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

type result struct {
	OrderID    string            `json:"order_id"`
	ReadStatus string            `json:"read_status"`
	ReadTotal  int64             `json:"read_total"`
	Stale      bool              `json:"stale"`
	Code       string            `json:"code"`
	Reason     string            `json:"reason"`
	Domain     string            `json:"domain"`
	Metadata   map[string]string `json:"metadata"`
	Violations []violation       `json:"violations"`
}

func main() {
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(writeAddress, readAddress string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	writeConn, err := grpc.DialContext(ctx, writeAddress, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		return fmt.Errorf("dial write service: %w", err)
	}
	defer writeConn.Close()
	readConn, err := grpc.DialContext(ctx, readAddress, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		return fmt.Errorf("dial read service: %w", err)
	}
	defer readConn.Close()
	commands := ordersv1.NewCommandServiceClient(writeConn)
	queries := ordersv1.NewQueryServiceClient(readConn)

	customer, err := commands.RegisterCustomer(ctx, &ordersv1.RegisterCustomerRequest{
		Name: "Grace Hopper", Email: "grace@example.com",
	})
	if err != nil {
		return fmt.Errorf("register customer: %w", err)
	}
	placed, err := commands.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{
		CustomerId: customer.CustomerId,
		Lines: []*ordersv1.OrderLine{
			{Sku: "COBOL-1", Quantity: 3, UnitPrice: &ordersv1.Money{CurrencyCode: "EUR", AmountMinor: 1500}},
		},
	})
	if err != nil {
		return fmt.Errorf("place order: %w", err)
	}
	read, err := queries.GetOrderSummary(ctx, &ordersv1.GetOrderSummaryRequest{
		OrderId: placed.OrderId,
		Consistency: &ordersv1.ReadConsistency{
			MinToken: placed.ConsistencyToken,
			Policy:   ordersv1.StalenessPolicy_STALENESS_POLICY_WAIT,
		},
	})
	if err != nil {
		return fmt.Errorf("read the order back: %w", err)
	}

	// Refused: a quantity of 0 and a malformed currency, both reported at once.
	_, refusal := commands.PlaceOrder(ctx, &ordersv1.PlaceOrderRequest{
		CustomerId: customer.CustomerId,
		Lines: []*ordersv1.OrderLine{
			{Sku: "COBOL-1", Quantity: 0, UnitPrice: &ordersv1.Money{CurrencyCode: "eur", AmountMinor: 1500}},
		},
	})
	if refusal == nil {
		return fmt.Errorf("an order with a quantity of 0 was accepted")
	}
	out := result{
		OrderID:    read.Order.OrderId,
		ReadStatus: read.Order.Status.String(),
		ReadTotal:  read.Order.Total.AmountMinor,
		Stale:      read.ReadMetadata.Stale,
	}
	refused := status.Convert(refusal)
	out.Code = refused.Code().String()
	for _, detail := range refused.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			out.Reason, out.Domain, out.Metadata = d.Reason, d.Domain, d.Metadata
		case *errdetails.BadRequest:
			for _, v := range d.FieldViolations {
				out.Violations = append(out.Violations, violation{v.Field, v.Description})
			}
		case error:
			return fmt.Errorf("undecodable status detail: %w", d)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
